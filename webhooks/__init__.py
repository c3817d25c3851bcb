"""Platform webhook adapters: verify, store once, normalize. One subpackage per platform."""
