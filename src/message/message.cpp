// Compiled mode: the definitions of sipevents/message/impl/message.ipp in the library.
#include "sipevents/message/impl/message.ipp"
