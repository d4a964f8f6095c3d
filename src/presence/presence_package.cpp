// Compiled mode: the definitions of sipevents/presence/impl/presence_package.ipp in the library.
#include "sipevents/presence/impl/presence_package.ipp"
