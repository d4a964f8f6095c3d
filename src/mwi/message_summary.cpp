// Compiled mode: the definitions of sipevents/mwi/impl/message_summary.ipp in the library.
#include "sipevents/mwi/impl/message_summary.ipp"
