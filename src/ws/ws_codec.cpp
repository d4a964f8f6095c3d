// Compiled mode: the definitions of sipevents/ws/impl/ws_codec.ipp in the library.
#include "sipevents/ws/impl/ws_codec.ipp"
