"""A case management system, played by a test: what Mosaic or Liquidlogic does through escr's
CMS contract (README "The CMS contract"), so the interface is tested before any go-live."""

from tests.cms_harness.client import CmsClient, Stored

__all__ = ["CmsClient", "Stored"]
