// Compiled mode: the definitions of sipevents/message/impl/uri.ipp in the library.
#include "sipevents/message/impl/uri.ipp"
