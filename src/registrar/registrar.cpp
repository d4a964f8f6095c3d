// Compiled mode: the definitions of sipevents/registrar/impl/registrar.ipp in the library.
#include "sipevents/registrar/impl/registrar.ipp"
