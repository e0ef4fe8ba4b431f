"""The ground floor below every app: helpers with no knowledge of tenants or tickets."""
