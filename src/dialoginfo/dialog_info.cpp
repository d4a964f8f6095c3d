// Compiled mode: the definitions of sipevents/dialoginfo/impl/dialog_info.ipp in the library.
#include "sipevents/dialoginfo/impl/dialog_info.ipp"
