// Compiled mode: the definitions of sipevents/transport_tls/impl/tls_openssl.ipp in the library.
#include "sipevents/transport_tls/impl/tls_openssl.ipp"
