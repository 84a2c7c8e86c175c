"""What routes declare they need (`Annotated[..., Depends(...)]`), one module per area, so that a
function imports only the areas its routes use."""
