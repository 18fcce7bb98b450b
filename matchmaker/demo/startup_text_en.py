# ruff: noqa: E501  (prose data: a sentence is kept on one line so it can be read and edited)
"""English phrase banks for startup profiles, per sector (international founders hosted by the
makerspace). Same shape as ``startup_text_zh``: ventures of four parts that belong together."""

from __future__ import annotations

Venture = tuple[str, str, str, str]  # one-liner, problem, technology, customers

VENTURES_EN: dict[str, tuple[Venture, ...]] = {
    "electronic_information": (
        (
            "Low-power LoRa vibration sensors for rotating machinery",
            "Factories in western China run thousands of motors with no condition monitoring at all.",
            "Our firmware does on-device spectral analysis, so a coin cell lasts three years.",
            "Customers are maintenance teams at auto-parts plants and water utilities.",
        ),
        (
            "Chip-scale LiDAR for delivery robots",
            "Imported LiDAR units cost more than the rest of a small delivery robot together.",
            "We designed the optics and the readout ASIC in-house; the second tape-out is done.",
            "We sell to robot makers in the Chengdu-Chongqing electronics cluster.",
        ),
    ),
    "biotechnology": (
        (
            "Cell-free protein expression kits for research labs",
            "Small labs wait weeks for custom proteins from contract manufacturers.",
            "Our lysate makes milligrams of protein in four hours on a benchtop, no cell culture needed.",
            "Early users are university groups and two CROs in Chengdu.",
        ),
        (
            "Organ-on-chip models for preclinical toxicity testing",
            "Animal testing is slow, costly and often fails to predict human response.",
            "We combine microfluidics with patient-derived cells; two patents are pending.",
            "We are validating the chips with a national pharmaceutical group.",
        ),
    ),
    "modern_agriculture": (
        (
            "Drone-based yield estimation for citrus orchards",
            "Hillside orchards are hard to survey, so growers guess their harvest and sell too early.",
            "Our models count fruit from multispectral images with 93% accuracy.",
            "Pilot customers are cooperatives in Fengjie and a provincial agri-trading group.",
        ),
        (
            "Insect-protein feed from food waste",
            "Fishmeal prices have doubled, squeezing feed mills and fish farmers.",
            "Black soldier fly larvae convert a tonne of food waste into 150 kg of protein meal.",
            "We supply feed mills and aquaculture farms along the Yangtze.",
        ),
    ),
    "high_end_equipment": (
        (
            "Autonomous inspection robots for utility tunnels",
            "Utility tunnels are long, hot and dangerous to inspect by hand.",
            "The robot fuses thermal imaging, gas sensing and SLAM on a rail-free chassis.",
            "We work with grid operators and metro maintenance companies.",
        ),
        (
            "Exoskeletons that reduce lifting strain on assembly lines",
            "Workers on motorcycle assembly lines lift more than a tonne per shift.",
            "A passive spring mechanism gives 30% support with no battery at all.",
            "Two tier-one suppliers of Chongqing's motorcycle makers are piloting it.",
        ),
    ),
    "new_energy": (
        (
            "Solid-state electrolyte films for next-generation batteries",
            "Liquid electrolytes limit both the safety and the energy density of lithium cells.",
            "Our sulfide electrolyte reaches 10 mS/cm at room temperature and is air-stable.",
            "We are sampling with three cell makers in Sichuan and Chongqing.",
        ),
        (
            "Solar-powered cold rooms for rural cooperatives",
            "Farmers lose up to a third of their fruit because there is no cold storage near the field.",
            "Phase-change storage keeps the room at 4°C through the night without batteries.",
            "Buyers are cooperatives and county agricultural bureaus.",
        ),
    ),
    "new_materials": (
        (
            "Recycled carbon-fibre composites for e-bike frames",
            "Carbon-fibre scrap from wind blades and aircraft ends up in landfill.",
            "We reclaim fibres by solvolysis and keep 90% of their tensile strength.",
            "Bicycle brands in Tianjin and Taiwan are testing our frames.",
        ),
        (
            "Self-healing coatings for bridge and marine steel",
            "Corrosion costs bridge and port operators billions in repainting every year.",
            "Microcapsules release a healing agent when the coating cracks; salt-spray tests pass 2,000 h.",
            "Customers are bridge maintenance companies and shipyards on the Yangtze.",
        ),
    ),
    "energy_saving_environment": (
        (
            "Membrane systems that recover water from textile dyeing",
            "Textile mills discharge huge volumes of coloured wastewater under ever stricter limits.",
            "Our ceramic nanofiltration membranes tolerate 90°C and strong alkali.",
            "Pilots run at two dyeing parks in Sichuan and Chongqing.",
        ),
        (
            "Acoustic leak detection for municipal water networks",
            "Chinese cities lose around 15% of their treated water to leaks.",
            "Acoustic sensors and a learning model pinpoint leaks within five metres.",
            "One district water company is a paying pilot; we sell through engineering contractors.",
        ),
    ),
    "medicine_health": (
        (
            "AI-assisted retinal screening for diabetic patients",
            "Most diabetic patients in county towns never see an ophthalmologist.",
            "Our model was validated on 40,000 fundus images from three hospitals.",
            "We work with county hospitals and regional medical alliances.",
        ),
        (
            "Point-of-care sepsis test from a drop of blood",
            "Sepsis kills when diagnosis takes hours; today's lab tests are too slow.",
            "A microfluidic cartridge gives a result in 15 minutes on a handheld reader.",
            "Two tertiary hospitals in Chongqing run our clinical study.",
        ),
    ),
    "cultural_creative": (
        (
            "Bilingual walking-tour app for Chongqing's old town",
            "Foreign visitors struggle to find the stories behind the places they visit.",
            "Stories are geo-triggered and narrated in five languages.",
            "Partners include tourism boards, hotels and museum shops.",
        ),
        (
            "Design studio turning intangible heritage into modern homeware",
            "Traditional crafts are fading because young buyers find them old-fashioned.",
            "We co-design with masters of Rongchang pottery and Shu embroidery.",
            "We sell online and through design stores in Shanghai and Shenzhen.",
        ),
    ),
    "modern_services": (
        (
            "Market-entry services for European hardware companies in western China",
            "Foreign SMEs find certification, distributors and manufacturing partners hard to reach.",
            "We combine a partner network of 200 factories with structured supplier audits.",
            "Clients are German and French Mittelstand companies.",
        ),
        (
            "Shared quality-engineering team for hardware startups",
            "Hardware startups cannot afford a full-time quality team before mass production.",
            "Our engineers work on-site a few days a month and run the quality system remotely.",
            "Clients are hardware startups in makerspaces across Chongqing and Chengdu.",
        ),
    ),
    "advanced_manufacturing": (
        (
            "On-demand sheet-metal fabrication with instant online quotes",
            "Getting a quote for custom metal parts still takes days of e-mails.",
            "Our geometry engine prices a part from its CAD file in seconds.",
            "We serve hardware startups and equipment makers in the region.",
        ),
        (
            "Robotic welding cells for small-batch production",
            "Small fabricators cannot justify programming a robot for batches of fifty.",
            "Offline programming from CAD plus seam tracking cuts set-up to under an hour.",
            "Customers are job shops supplying the automotive and furniture industries.",
        ),
    ),
    "internet": (
        (
            "Bilingual recruiting platform for foreign talent in western China",
            "Companies in Chongqing struggle to hire engineers with international experience.",
            "We match candidates on skills extracted from their projects, not just job titles.",
            "Customers are foreign-invested enterprises and high-tech zones.",
        ),
        (
            "Device-farm testing for WeChat mini-programs",
            "Manual testing of mini-programs across devices slows every release.",
            "Our cloud device farm runs tests on 300 real phones in parallel.",
            "Paying users are software agencies and in-house mobile teams.",
        ),
    ),
    "big_health": (
        (
            "Digital physiotherapy programmes for knee and back pain",
            "Physiotherapists are scarce outside big hospitals, so patients stop exercising after discharge.",
            "Phone-camera pose estimation checks each exercise and adapts the programme.",
            "We work with rehabilitation clinics and commercial insurers.",
        ),
        (
            "Healthy-ageing day clubs with cognitive training",
            "Families want meaningful daytime activities for elderly parents with early memory loss.",
            "Programmes follow validated cognitive-stimulation protocols adapted for Chinese speakers.",
            "Families pay a monthly fee; some districts subsidise places.",
        ),
    ),
}

EXTRA_OFFERS_EN: dict[str, tuple[str, ...]] = {
    "electronic_information": (
        "Open-hardware FPGA boards for teaching labs",
        "Edge gateways for legacy PLC data",
    ),
    "biotechnology": (
        "Precision-fermented dairy proteins",
        "Microbial biostimulants for tea growers",
    ),
    "modern_agriculture": ("Vertical-farm modules for restaurants", "Smart beehive monitoring"),
    "high_end_equipment": (
        "Compact five-axis machine tools",
        "Autonomous forklifts for cold stores",
    ),
    "new_energy": ("Battery passports for EV packs", "Micro-inverters for balcony solar"),
    "new_materials": ("Bio-based aerogel insulation", "Recyclable thermoplastic composites"),
    "energy_saving_environment": (
        "Low-carbon cement additives from slag",
        "Heat pumps for industrial drying",
    ),
    "medicine_health": ("3D-printed surgical guides", "Remote cardiac rhythm monitoring"),
    "cultural_creative": (
        "Animation series on Chinese folklore",
        "Indie games for language learning",
    ),
    "modern_services": (
        "Technical translation for engineering documents",
        "Cross-border compliance software",
    ),
    "advanced_manufacturing": (
        "Digital twins for injection moulding",
        "Cloud CNC machining marketplace",
    ),
    "internet": ("Freelance engineering marketplace", "Carbon accounting API for SMEs"),
    "big_health": ("Plant-based meal plans for diabetes", "Sleep coaching app"),
}

TEAM_EN: dict[str, tuple[str, ...]] = {
    "researcher_on_leave": ("{brand} was founded by researchers on leave from {org}.",),
    "university_student": (
        "{brand} started as a student project at {org} and won a provincial startup competition.",
    ),
    "returnee": ("{brand}'s founder came back to China after ten years of R&D work abroad.",),
    "foreign_talent": (
        "{brand} was founded by an international team that moved to Chongqing for its supply chain.",
        "The founder came to Chongqing on a talent visa and is hosted by the makerspace.",
    ),
    "hk_macao_taiwan": (
        "{brand}'s founders come from Hong Kong and chose Chongqing for its manufacturing base.",
    ),
    "corporate_spinoff": ("{brand} is a spin-off of a multinational's regional R&D centre.",),
    "veteran": ("{brand} was founded by a veteran engineer with a team of former colleagues.",),
}

TRACTION_EN: dict[str, tuple[str, ...]] = {
    "idea": (
        "We have validated the concept in {m} customer interviews; {n} want to join a trial.",
        "We have filed {n} patent applications and are looking for a first pilot partner.",
    ),
    "prototype": (
        "A first version is on trial with {n} customers and in testing at the makerspace's shared lab.",
        "{n} customers are trialling the first version and giving weekly feedback.",
    ),
    "pilot": (
        "Small-batch delivery has started and {n} customers have signed letters of intent.",
        "{n} customers have completed trials and we are scaling up delivery.",
    ),
    "market": (
        "Revenue last year was about CNY {m} million, with more than {n}0 paying customers.",
        "We are profitable and expanding beyond Chengdu and Chongqing.",
    ),
}
