// Compiled mode: the definitions of sipevents/transaction/impl/transaction_layer.ipp in the library.
#include "sipevents/transaction/impl/transaction_layer.ipp"
