// Compiled mode: the definitions of sipevents/auth/impl/digest.ipp in the library.
#include "sipevents/auth/impl/digest.ipp"
