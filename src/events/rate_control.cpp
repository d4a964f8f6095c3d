// Compiled mode: the definitions of sipevents/events/impl/rate_control.ipp in the library.
#include "sipevents/events/impl/rate_control.ipp"
