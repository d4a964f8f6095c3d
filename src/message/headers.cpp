// Compiled mode: the definitions of sipevents/message/impl/headers.ipp in the library.
#include "sipevents/message/impl/headers.ipp"
