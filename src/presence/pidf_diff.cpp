// Compiled mode: the definitions of sipevents/presence/impl/pidf_diff.ipp in the library.
#include "sipevents/presence/impl/pidf_diff.ipp"
