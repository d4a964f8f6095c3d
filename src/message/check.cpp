// Compiled mode: the definitions of sipevents/message/impl/check.ipp in the library.
#include "sipevents/message/impl/check.ipp"
