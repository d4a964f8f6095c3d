// Compiled mode: the definitions of sipevents/dialog/impl/dialog.ipp in the library.
#include "sipevents/dialog/impl/dialog.ipp"
