// Compiled mode: the definitions of sipevents/transport/impl/runtime.ipp in the library.
#include "sipevents/transport/impl/runtime.ipp"
