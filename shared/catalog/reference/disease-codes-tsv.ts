/**
 * St. Jude disease codes (code, long name, diagnosis group, OncoTree code), copied verbatim from the
 * St. Jude Cloud reference table `sj_disease_codes.tsv` so the product carries its own reference data.
 * The table lists AML twice; the parser keeps the first row for a code.
 */
export const SJ_DISEASE_CODES_TSV = `
code	name	diagnosis_group	oncotree_code
ASTR	Astrocytoma, NOS	Brain Tumor	ASTR
ATM	Atypical Meningioma	Brain Tumor	ATM
ATRT	Atypical Teratoid/Rhabdoid Tumor	Brain Tumor	ATRT
CNC	Central Neurocytoma	Brain Tumor	CNC
CPC	Choroid Plexus Carcinoma	Brain Tumor	CPC
ACPG	Craniopharyngioma, Adamantinomatous Type	Brain Tumor	ACPG
CPG	Craniopharyngioma, NOS	Brain Tumor	SELT
DMBL	Desmoplastic/Nodular Medulloblastoma	Brain Tumor	DMBL
DNT	Dysembryoplastic Neuroepithelial Tumor	Brain Tumor	DNT
ETMR	Embryonal Tumor with Multilayered Rosettes, Brain	Brain Tumor	EMBT
EBMT	Embryonal Tumor, Brain	Brain Tumor	EMBT
EPMT	Ependymomal Tumor	Brain Tumor	EPMT
EPMTPF	Ependymomal Tumor, Posterior Fossa	Brain Tumor	EPMT
EPMTST	Ependymomal Tumor, Spinal Tumor	Brain Tumor	EPMT
EPMTSU	Ependymomal Tumor, Supratentorial	Brain Tumor	EPMT
FASTR	Fibrillary Astrocytoma	Brain Tumor	DASTR
GNG	Gangliocytoma	Brain Tumor	GNG
GB	Glioblastoma	Brain Tumor	GB
GNOS	Glioma, NOS	Brain Tumor	GNOS
HGGNOS	High-Grade Glioma, NOS	Brain Tumor	HGGNOS
HGNET	High-Grade Neuroepithelial Tumor	Brain Tumor	HGNET
LGGNOS	Low-Grade Glioma, NOS	Brain Tumor	LGGNOS
MBL	Medulloblastoma	Brain Tumor	MBL
MBLG3	Medulloblastoma, Group 3	Brain Tumor	MBL
MBLG4	Medulloblastoma, Group 4	Brain Tumor	MBL
MBLSHH	Medulloblastoma, SHH subtype	Brain Tumor	MBL
MBLWNT	Medulloblastoma, WNT subtype	Brain Tumor	MBL
MDEP	Medulloepithelioma	Brain Tumor	MDEP
MNG	Meningioma	Brain Tumor	MNG
MBT	Miscellaneous Brain Tumor	Brain Tumor	MBT
MEPMST	Mixed Myxopapillary Anaplastic Ependymoma, Spinal Tumor	Brain Tumor	EPMT
MPE	Myxopapillary Ependymoma	Brain Tumor	MPE
MPEFV	Myxopapillary Ependymoma, Fourth Ventrice	Brain Tumor	MPE
MPEPF	Myxopapillary Ependymoma, Posterior Fossa	Brain Tumor	MPE
NEP	Neuroepithelioma	Brain Tumor	<NA>
ODG	Oligodendroglioma	Brain Tumor	ODG
PEPNOS	Papillary Ependymoma, NOS	Brain Tumor	EPMT
PPNET	Peripheral Primitive Neuroectodermal Tumor	Brain Tumor	PNET
PAST	Pilocytic Astrocytoma	Brain Tumor	PAST
PBL	Pineoblastoma	Brain Tumor	PBL
PXA	Pleomorphic Xanthoastrocytoma	Brain Tumor	PXA
PNET	Primitive Neuroectodermal Tumor	Brain Tumor	PNET
SEGA	Subependymal Giant Cell Astrocytoma	Brain Tumor	<NA>
CCA	Choriocarcinoma	Germ Cell Tumor	<NA>
DYS	Dysgerminoma	Germ Cell Tumor	<NA>
ODYS	Dysgerminoma, Ovarian	Germ Cell Tumor	ODYS
PDYS	Dysgerminoma, Pelvis	Germ Cell Tumor	<NA>
ECNOS	Embryonal Carcinoma, NOS	Germ Cell Tumor	<NA>
BGCT	Germ Cell Tumor, Brain	Germ Cell Tumor	BGCT
GCT	Germ Cell Tumor, NOS	Germ Cell Tumor	<NA>
GMN	Germinoma	Germ Cell Tumor	GMN
BMGCT	Mixed Germ Cell Tumor, Brain	Germ Cell Tumor	BMGCT
MGCTNOS	Mixed Germ Cell Tumor, NOS	Germ Cell Tumor	<NA>
OMGCT	Mixed Germ Cell Tumor, Ovary and Lymph Node	Germ Cell Tumor	OMGCT
MGCT	Mixed Germ Cell Tumor, Testis	Germ Cell Tumor	MGCT
TTC	Teratocarcinoma	Germ Cell Tumor	<NA>
TTNOS	Teratoma, NOS	Germ Cell Tumor	<NA>
BYST	Yolk Sac Tumor, Brain	Germ Cell Tumor	BYST
YSTNOS	Yolk Sac Tumor, NOS	Germ Cell Tumor	<NA>
ALAL	Acute Leukemias of Ambiguous Lineage	Hematologic Malignancy	ALAL
ALL	Acute Lymphoblastic Leukemia, NOS	Hematologic Malignancy	LNM
AMKL	Acute Megakaryoblastic Leukemia	Hematologic Malignancy	AMKL
AML	Acute Myeloid Leukemia	Hematologic Malignancy	AML
CBF	Acute Myeloid Leukemia, Core Binding Factor	Hematologic Malignancy	AMLRGA
AML	Acute Myeloid Leukemia, KMT2A rearrangement	Hematologic Malignancy	AMLRGA
APLPMLRARA	Acute Promyelocytic Leukemia	Hematologic Malignancy	APLPMLRARA
AULKMT2A	Acute Undifferentiated Leukemia, KMT2A rearrangement	Hematologic Malignancy	AUL
ALCL	Anaplastic Large Cell Lymphoma	Hematologic Malignancy	ALCL
BALLBCRABL1	B-cell Acute Lymphoblastic Leukemia, BCR-ABL1	Hematologic Malignancy	BLLBCRABL1
BALLBCRABL1L	B-cell Acute Lymphoblastic Leukemia, BCR-ABL1 like	Hematologic Malignancy	BLLBCRABL1L
BALLDUX4IGH	B-cell Acute Lymphoblastic Leukemia, DUX4-IGH	Hematologic Malignancy	BLLRGA
BALLDUX4IGHL	B-cell Acute Lymphoblastic Leukemia, DUX4-IGH like	Hematologic Malignancy	BLLRGA
BALLETV6RUNX1	B-cell Acute Lymphoblastic Leukemia, ETV6-RUNX1	Hematologic Malignancy	BLLETV6RUNX1
BALLETV6RUNX1L	B-cell Acute Lymphoblastic Leukemia, ETV6-RUNX1 like	Hematologic Malignancy	BLLRGA
BALLHLF	B-cell Acute Lymphoblastic Leukemia, HLF rearrangement	Hematologic Malignancy	BLLRGA
BALLHYPER	B-cell Acute Lymphoblastic Leukemia, Hyperdiploidy	Hematologic Malignancy	BLLHYPER
BALLHYPO	B-cell Acute Lymphoblastic Leukemia, Hypodiploidy	Hematologic Malignancy	BLLHYPO
BALLIAMP21	B-cell Acute Lymphoblastic Leukemia, iAMP21	Hematologic Malignancy	BLLIAMP21
BALLIGHCEBPD	B-cell Acute Lymphoblastic Leukemia, IGH-CEBPD	Hematologic Malignancy	BLLRGA
BALLKMT2A	B-cell Acute Lymphoblastic Leukemia, KMT2A rearrangement	Hematologic Malignancy	BLLKMT2A
BALLMEF2D	B-cell Acute Lymphoblastic Leukemia, MEF2D rearrangement	Hematologic Malignancy	BLLRGA
BALLMYC	B-cell Acute Lymphoblastic Leukemia, MYC rearrangement	Hematologic Malignancy	BLLRGA
BALLNOS	B-cell Acute Lymphoblastic Leukemia, NOS	Hematologic Malignancy	BLLNOS
BALLNUTM1	B-cell Acute Lymphoblastic Leukemia, NUTM1 rearrangement	Hematologic Malignancy	BLLRGA
BALLPAX5	B-cell Acute Lymphoblastic Leukemia, PAX5 Alteration	Hematologic Malignancy	BLLRGA
BALLPAX5P80R	B-cell Acute Lymphoblastic Leukemia, PAX5 P80R	Hematologic Malignancy	BLLRGA
BALLTCF3PBX1	B-cell Acute Lymphoblastic Leukemia, TCF3-PBX1	Hematologic Malignancy	BLLTCF3PBX1
BALLZNF384	B-cell Acute Lymphoblastic Leukemia, ZNF384 rearrangement	Hematologic Malignancy	BLLRGA
BALLZNF384L	B-cell Acute Lymphoblastic Leukemia, ZNF384 rearrangement like	Hematologic Malignancy	BLLRGA
BCUP	Blood Cancer of Unknown Primary	Hematologic Malignancy	CUP
BL	Burkitt Lymphoma	Hematologic Malignancy	BL
CML	Chronic Myeloid Leukemia	Hematologic Malignancy	CML
DLBCLNOS	Diffuse Large B-cell Lymphoma, NOS	Hematologic Malignancy	DLBCLNOS
SJGENLK	General Leukemia	Hematologic Malignancy	<NA>
HL	Hodgkin Lymphoma	Hematologic Malignancy	HL
LCH	Langerhans Cell Histiocytosis	Hematologic Malignancy	LCH
LDCHL	Lymphocyte-Depleted Classical Hodgkin Lymphoma	Hematologic Malignancy	LDCHL
LRCHL	Lymphocyte-Rich Classical Hodgkin Lymphoma	Hematologic Malignancy	LRCHL
MCCHL	Mixed Cellularity Classical Hodgkin Lymphoma	Hematologic Malignancy	MCCHL
MYCF	Mycosis Fungoides	Hematologic Malignancy	MYCF
MDS	Myelodysplastic Syndromes	Hematologic Malignancy	MDS
MS	Myeloid Sarcoma	Hematologic Malignancy	MS
NLPHL	Nodular Lymphocyte-Predominant Hodgkin Lymphoma	Hematologic Malignancy	NLPHL
NSCHL	Nodular Sclerosis Classical Hodgkin Lymphoma	Hematologic Malignancy	NSCHL
NHL	Non-Hodgkin Lymphoma	Hematologic Malignancy	NHL
TALL	T-cell Acute Lymphoblastic Leukemia	Hematologic Malignancy	TLL
TALLKMT2A	T-cell Acute Lymphoblastic Leukemia, KMT2A rearrangement	Hematologic Malignancy	TLL
TLL	T-cell Lymphoblastic Lymphoma	Hematologic Malignancy	TLL
SJNM	Non-Malignancy	Non-Malignancy	<NA>
SJNORM	SJLIFE Normal Control	Normal	<NA>
SJSCD	Sickle Cell Disease	Sickle Cell Disease	<NA>
ACN	Acinar Cell Carcinoma	Solid Tumor	ACN
ADNOS	Adenocarcinoma, NOS	Solid Tumor	ADNOS
ACC	Adrenocortical Carcinoma	Solid Tumor	ACC
ARMS	Alveolar Rhabdomyosarcoma	Solid Tumor	ARMS
ASPS	Alveolar Soft Part Sarcoma	Solid Tumor	ASPS
AFH	Angiomatoid Fibrous Histiocytoma	Solid Tumor	AFH
BCC	Basal Cell Carcinoma	Solid Tumor	BCC
BERMS	Botryoid Type Embryonal Rhabdomyosarcoma	Solid Tumor	ERMS
CNOS	Carcinoma, NOS	Solid Tumor	CUP
CHOS	Chondroblastic Osteosarcoma	Solid Tumor	CHOS
CHS	Chondrosarcoma	Solid Tumor	CHS
CHDM	Chordoma	Solid Tumor	CHDM
CCSK	Clear Cell Sarcoma of Kidney	Solid Tumor	CCSK
CMN	Congenital Mesoblastic Nephroma	Solid Tumor	RCC
DFSP	Dermatofibrosarcoma Protuberans	Solid Tumor	DFSP
DES	Desmoid/Aggressive Fibromatosis	Solid Tumor	DES
DSRCT	Desmoplastic Small Round Cell Tumor	Solid Tumor	DSRCT
ERMS	Embryonal Rhabdomyosarcoma	Solid Tumor	ERMS
EACNOS	Endometrioid Adenocarcinoma, NOS	Solid Tumor	ADNOS
EHAE	Epithelioid Hemangioendothelioma	Solid Tumor	EHAE
EPIS	Epithelioid Sarcoma	Solid Tumor	EPIS
EWS	Ewing Sarcoma	Solid Tumor	ES
FIOS	Fibroblastic Osteosarcoma	Solid Tumor	FIOS
FMS	Fibromyxoid Sarcoma	Solid Tumor	<NA>
FIBS	Fibrosarcoma, NOS	Solid Tumor	FIBS
THFO	Follicular Thyroid Cancer	Solid Tumor	THFO
GNBL	Ganglioneuroblastoma	Solid Tumor	GNBL
GN	Ganglioneuroma	Solid Tumor	GN
GIST	Gastrointestinal Stromal Tumor	Solid Tumor	GIST
SJGENBN	General Bone Tumor	Solid Tumor	<NA>
GICT	Giant Cell Tumor, NOS	Solid Tumor	GCTB
GRCT	Granulosa Cell Tumor	Solid Tumor	GRCT
HB	Hepatoblastoma	Solid Tumor	LIHB
HCC	Hepatocellular Carcinoma	Solid Tumor	HCC
IFS	Infantile Fibrosarcoma	Solid Tumor	IFS
LMS	Leiomyosarcoma, NOS	Solid Tumor	LMS
LIPO	Liposarcoma	Solid Tumor	LIPO
LMNOS	Liver Malignancy, NOS	Solid Tumor	<NA>
MFH	Malignant Fibrous Histiocytoma	Solid Tumor	MFH
MME	Malignant Mesenchymoma	Solid Tumor	<NA>
MMEL	Malignant Mesenchymoma of the Liver	Solid Tumor	<NA>
MPNST	Malignant Peripheral Nerve Sheath Tumor	Solid Tumor	MPNST
MRTL	Malignant Rhabdoid Tumor of the Liver	Solid Tumor	MRTL
MEL	Melanoma	Solid Tumor	MEL
MCHS	Mesenchymal Chondrosarcoma	Solid Tumor	MCHS
MSCERMS	Mixed Spindle Cell and Embryonal Rhabdomyosarcoma	Solid Tumor	RMS
MACR	Mucinous Adenocarcinoma of the Colon and Rectum	Solid Tumor	MACR
MACNOS	Mucinous Adenocarcinoma, NOS	Solid Tumor	<NA>
MUCC	Mucoepidermoid Carcinoma	Solid Tumor	MUCC
NPC	Nasopharyngeal Carcinoma	Solid Tumor	NPC
NBL	Neuroblastoma	Solid Tumor	NBL
NFIB	Neurofibroma	Solid Tumor	NFIB
OS	Osteosarcoma	Solid Tumor	OS
PANET	Pancreatic Neuroendocrine Tumor	Solid Tumor	PANET
PRCC	Papillary Renal Cell Carcinoma	Solid Tumor	PRCC
THPA	Papillary Thyroid Cancer	Solid Tumor	THPA
PGNG	Paraganglioma	Solid Tumor	PGNG
PAOS	Parosteal Osteosarcoma	Solid Tumor	PAOS
PEOS	Periosteal Osteosarcoma	Solid Tumor	PEOS
PPB	Pleuropulmonary Blastoma	Solid Tumor	PPB
RCC	Renal Cell Carcinoma	Solid Tumor	RCC
CCRCC	Renal Clear Cell Carcinoma	Solid Tumor	CCRCC
RBL	Retinoblastoma	Solid Tumor	RBL
MRT	Rhabdoid Cancer, Kidney	Solid Tumor	MRT
RMS	Rhabdomyosarcoma	Solid Tumor	RMS
RCSNOS	Round Cell Sarcoma, NOS	Solid Tumor	RCSNOS
SSPC	Serous Surface Papillary Carcinoma	Solid Tumor	<NA>
SCOS	Small Cell Osteosarcoma	Solid Tumor	SCOS
STSNOS	Soft Tissue Sarcoma, NOS	Solid Tumor	CUP
SCUP	Solid Cancer of Unknown Primary	Solid Tumor	CUP
SFT	Solitary Fibrous Tumor/Hemangiopericytoma	Solid Tumor	SFT
SCRMS	Spindle Cell Rhabdomyosarcoma	Solid Tumor	SCRMS
SCSNOS	Spindle Cell Sarcoma, NOS	Solid Tumor	<NA>
SCSRMS	Spindle Cell/Sclerosing Rhabdomyosarcoma	Solid Tumor	SCSRMS
SETTLE	Spindle Epithelial Tumor with Thymus-Like Differentiation	Solid Tumor	<NA>
SCCNOS	Squamous Cell Carcinoma, NOS	Solid Tumor	SCCNOS
SIPT	Stomach Inflammatory Pseudotumor	Solid Tumor	<NA>
SYNS	Synovial Sarcoma	Solid Tumor	SYNS
TEOS	Telangiectatic Osteosarcoma	Solid Tumor	TEOS
UESL	Undifferentiated Embryonal Sarcoma of the Liver	Solid Tumor	UESL
WT	Wilms	Solid Tumor	WT
WTB	Wilms, Bilateral	Solid Tumor	WT
`;
