//! ils-doctor: diagnoses CUCM Intercluster Lookup Service registration.
