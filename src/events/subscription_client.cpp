// Compiled mode: the definitions of sipevents/events/impl/subscription_client.ipp in the library.
#include "sipevents/events/impl/subscription_client.ipp"
