// Compiled mode: the definitions of sipevents/message/impl/error.ipp in the library.
#include "sipevents/message/impl/error.ipp"
