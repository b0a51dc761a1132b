"""The start page and the navigation: the app on top of every other, so it may import
them all (the navigation's badges come from cases and the kernel). Also the demo-data
command, which seeds every app in dependency order."""
