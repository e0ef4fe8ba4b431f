from tenants.registry import tenant_owned_models

__all__ = ["tenant_owned_models"]
