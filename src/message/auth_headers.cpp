// Compiled mode: the definitions of sipevents/message/impl/auth_headers.ipp in the library.
#include "sipevents/message/impl/auth_headers.ipp"
