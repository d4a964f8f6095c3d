// Compiled mode: the definitions of sipevents/locate/impl/server_locator.ipp in the library.
#include "sipevents/locate/impl/server_locator.ipp"
