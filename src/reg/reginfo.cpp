// Compiled mode: the definitions of sipevents/reg/impl/reginfo.ipp in the library.
#include "sipevents/reg/impl/reginfo.ipp"
