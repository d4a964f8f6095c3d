// Compiled mode: the definitions of sipevents/xml/impl/xml_util.ipp in the library.
#include "sipevents/xml/impl/xml_util.ipp"
