// Compiled mode: the definitions of sipevents/rls/impl/list_server.ipp in the library.
#include "sipevents/rls/impl/list_server.ipp"
