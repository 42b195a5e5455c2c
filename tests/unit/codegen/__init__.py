"""The generated client's rendering and release (`pcaps_contract.codegen`)."""
