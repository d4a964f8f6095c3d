// Compiled mode: the definitions of sipevents/message/impl/framer.ipp in the library.
#include "sipevents/message/impl/framer.ipp"
