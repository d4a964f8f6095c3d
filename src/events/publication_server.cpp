// Compiled mode: the definitions of sipevents/events/impl/publication_server.ipp in the library.
#include "sipevents/events/impl/publication_server.ipp"
