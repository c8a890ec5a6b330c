-- Lists by owner: listPackages(userID=…) (userinfo, the packagesbyuser report counts every user's
-- package entries) joins tag_package_owners by its owner; without an index each such count read
-- the whole table. listBuilds(userID=…) and listTasks(owner=…) already have build_by_owner and
-- the task indexes.
CREATE INDEX tag_package_owners_owner_active ON tag_package_owners (owner) WHERE active IS TRUE;
