// Compiled mode: the definitions of sipevents/message/impl/params.ipp in the library.
#include "sipevents/message/impl/params.ipp"
