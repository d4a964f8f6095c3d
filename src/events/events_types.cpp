// Compiled mode: the definitions of sipevents/events/impl/events_types.ipp in the library.
#include "sipevents/events/impl/events_types.ipp"
