// Compiled mode: the definitions of sipevents/agent/impl/event_agent.ipp in the library.
#include "sipevents/agent/impl/event_agent.ipp"
