// Compiled mode: the definitions of sipevents/mwi/impl/mwi_package.ipp in the library.
#include "sipevents/mwi/impl/mwi_package.ipp"
