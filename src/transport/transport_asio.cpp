// Compiled mode: the definitions of sipevents/transport/impl/transport_asio.ipp in the library.
#include "sipevents/transport/impl/transport_asio.ipp"
