// Compiled mode: the definitions of sipevents/dialoginfo/impl/dialog_package.ipp in the library.
#include "sipevents/dialoginfo/impl/dialog_package.ipp"
