"""POS adapters (implementations of `hoststand.connectors.base.PosPort`)."""
