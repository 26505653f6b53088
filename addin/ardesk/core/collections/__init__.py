"""The collections desk: credit notes, voids, write-offs, refunds, disputes and dunning."""
