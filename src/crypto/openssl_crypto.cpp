// Compiled mode: the definitions of sipevents/crypto/impl/openssl_crypto.ipp in the library.
#include "sipevents/crypto/impl/openssl_crypto.ipp"
