// Compiled mode: the definitions of sipevents/reg/impl/reg_package.ipp in the library.
#include "sipevents/reg/impl/reg_package.ipp"
