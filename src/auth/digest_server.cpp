// Compiled mode: the definitions of sipevents/auth/impl/digest_server.ipp in the library.
#include "sipevents/auth/impl/digest_server.ipp"
