// Compiled mode: the definitions of sipevents/events/impl/publication_client.ipp in the library.
#include "sipevents/events/impl/publication_client.ipp"
