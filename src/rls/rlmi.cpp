// Compiled mode: the definitions of sipevents/rls/impl/rlmi.ipp in the library.
#include "sipevents/rls/impl/rlmi.ipp"
