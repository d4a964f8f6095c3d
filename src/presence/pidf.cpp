// Compiled mode: the definitions of sipevents/presence/impl/pidf.ipp in the library.
#include "sipevents/presence/impl/pidf.ipp"
