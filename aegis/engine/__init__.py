"""The pure core: burn-rate math and the gate policy. No I/O of any kind."""
