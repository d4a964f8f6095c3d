// Compiled mode: the definitions of sipevents/events/impl/subscription_server.ipp in the library.
#include "sipevents/events/impl/subscription_server.ipp"
