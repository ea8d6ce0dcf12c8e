"""Differential fidelity: the same RPC calls to a fakenet node and to Litecoin Core, compared."""
