# ruff: noqa: E501  (prose data: a sentence is kept on one line so it can be read and edited)
"""English phrase banks for startup profiles, per sector (international founders hosted by the
makerspace). Same shape as ``startup_text_zh``."""

from __future__ import annotations

SECTOR_TEXT_EN: dict[str, dict[str, tuple[str, ...]]] = {
    "electronic_information": {
        "offers": (
            "Low-power LoRa vibration sensors for rotating machinery",
            "Open-hardware FPGA boards for university teaching labs",
            "Chip-scale LiDAR for delivery robots",
            "Edge gateways that turn legacy PLC data into MQTT streams",
        ),
        "problems": (
            "Factories in western China run thousands of motors with no condition monitoring at all.",
            "Imported sensing modules are expensive and take months to arrive.",
        ),
        "tech": (
            "Our firmware does on-device spectral analysis, so a coin cell lasts three years.",
            "We designed the optics and the readout ASIC in-house; the second tape-out is done.",
        ),
        "customers": (
            "Customers are maintenance teams at auto-parts plants and water utilities.",
            "We sell to system integrators in the Chengdu-Chongqing electronics cluster.",
        ),
    },
    "biotechnology": {
        "offers": (
            "Cell-free protein expression kits for teaching and research labs",
            "Precision-fermented dairy proteins",
            "Microbial biostimulants for tea and citrus growers",
            "Organ-on-chip models for preclinical toxicity testing",
        ),
        "problems": (
            "Small labs wait weeks for custom proteins from contract manufacturers.",
            "Animal testing is slow, costly and often fails to predict human response.",
        ),
        "tech": (
            "Our engineered strain reaches titres of 8 g/L in fed-batch fermentation.",
            "We combine microfluidics with patient-derived cells; two patents are pending.",
        ),
        "customers": (
            "Early users are university groups and two CROs in Chengdu.",
            "We are validating the product with a national dairy brand.",
        ),
    },
    "modern_agriculture": {
        "offers": (
            "Vertical-farm modules for restaurants and hotels",
            "Drone-based yield estimation for citrus orchards",
            "Insect-protein feed from food waste",
        ),
        "problems": (
            "Hillside orchards are hard to survey, so growers guess their harvest and sell too early.",
            "Fishmeal prices have doubled, squeezing feed mills and fish farmers.",
        ),
        "tech": (
            "Our models count fruit from multispectral images with 93% accuracy.",
            "Black soldier fly larvae convert a tonne of food waste into 150 kg of protein meal.",
        ),
        "customers": (
            "Pilot customers are cooperatives in Fengjie and a provincial agri-trading group.",
            "We supply feed mills and aquaculture farms along the Yangtze.",
        ),
    },
    "high_end_equipment": {
        "offers": (
            "Autonomous inspection robots for cable tunnels",
            "Compact five-axis machine tools for small workshops",
            "Exoskeletons that reduce lifting strain on assembly lines",
        ),
        "problems": (
            "Utility tunnels are long, hot and dangerous to inspect by hand.",
            "Workers on motorcycle assembly lines lift more than a tonne per shift.",
        ),
        "tech": (
            "The robot fuses thermal imaging, gas sensing and SLAM on a rail-free chassis.",
            "A passive spring mechanism gives 30% support with no battery at all.",
        ),
        "customers": (
            "We work with grid operators and metro maintenance companies.",
            "Two tier-one suppliers of Chongqing's motorcycle makers are piloting it.",
        ),
    },
    "new_energy": {
        "offers": (
            "Solid-state electrolyte films for next-generation batteries",
            "Solar-powered cold rooms for rural cooperatives",
            "Battery passports: traceability software for EV battery packs",
        ),
        "problems": (
            "Liquid electrolytes limit both the safety and the energy density of lithium cells.",
            "Farmers lose up to a third of their fruit because there is no cold storage near the field.",
        ),
        "tech": (
            "Our sulfide electrolyte reaches 10 mS/cm at room temperature and is air-stable.",
            "Phase-change storage keeps the room at 4°C through the night without batteries.",
        ),
        "customers": (
            "We are sampling with three cell makers in Sichuan and Chongqing.",
            "Buyers are cooperatives and county agricultural bureaus.",
        ),
    },
    "new_materials": {
        "offers": (
            "Bio-based aerogels for building insulation",
            "Recycled carbon-fibre composites for e-bike frames",
            "Self-healing coatings for marine and bridge steel",
        ),
        "problems": (
            "Carbon-fibre scrap from wind blades and aircraft ends up in landfill.",
            "Corrosion costs bridge and port operators billions in repainting every year.",
        ),
        "tech": (
            "We reclaim fibres by solvolysis and keep 90% of their tensile strength.",
            "Microcapsules release a healing agent when the coating cracks; salt-spray tests pass 2,000 h.",
        ),
        "customers": (
            "Bicycle brands in Tianjin and Taiwan are testing our frames.",
            "Customers are bridge maintenance companies and shipyards on the Yangtze.",
        ),
    },
    "energy_saving_environment": {
        "offers": (
            "Membrane systems that recover water from textile dyeing",
            "Smart meters that find leaks in municipal water networks",
            "Low-carbon cement additives from industrial slag",
        ),
        "problems": (
            "Textile mills discharge huge volumes of coloured wastewater under ever stricter limits.",
            "Chinese cities lose around 15% of their treated water to leaks.",
        ),
        "tech": (
            "Our ceramic nanofiltration membranes tolerate 90°C and strong alkali.",
            "Acoustic sensors and a learning model pinpoint leaks within five metres.",
        ),
        "customers": (
            "Pilots run at two dyeing parks and one district water company.",
            "We sell through environmental engineering contractors.",
        ),
    },
    "medicine_health": {
        "offers": (
            "AI-assisted retinal screening for diabetic patients",
            "Point-of-care sepsis test from a drop of blood",
            "3D-printed patient-specific surgical guides",
        ),
        "problems": (
            "Most diabetic patients in county towns never see an ophthalmologist.",
            "Sepsis kills when diagnosis takes hours; today's lab tests are too slow.",
        ),
        "tech": (
            "Our model was validated on 40,000 fundus images from three hospitals.",
            "A microfluidic cartridge gives a result in 15 minutes on a handheld reader.",
        ),
        "customers": (
            "We work with county hospitals and regional medical alliances.",
            "Two tertiary hospitals in Chongqing run our clinical study.",
        ),
    },
    "cultural_creative": {
        "offers": (
            "Bilingual walking-tour app for Chongqing's old town",
            "Animation studio producing children's series on Chinese folklore",
            "Design studio turning intangible heritage into modern homeware",
        ),
        "problems": (
            "Foreign visitors struggle to find stories behind the places they visit.",
            "Traditional crafts are fading because young buyers find them old-fashioned.",
        ),
        "tech": (
            "Stories are geo-triggered and narrated in five languages.",
            "We co-design with masters of Rongchang pottery and Shu embroidery.",
        ),
        "customers": (
            "Partners include tourism boards, hotels and museum shops.",
            "We sell online and through design stores in Shanghai and Shenzhen.",
        ),
    },
    "modern_services": {
        "offers": (
            "Market-entry services for European hardware companies in western China",
            "Technical translation and localisation for engineering documents",
            "Shared quality-engineering team for hardware startups",
        ),
        "problems": (
            "Foreign SMEs find certification, distributors and manufacturing partners hard to reach.",
            "Hardware startups cannot afford a full-time quality team before mass production.",
        ),
        "tech": (
            "We combine a partner network of 200 factories with structured supplier audits.",
            "Our engineers work on-site a few days a month and run the quality system remotely.",
        ),
        "customers": (
            "Clients are German and French Mittelstand companies.",
            "Clients are hardware startups in makerspaces across Chongqing and Chengdu.",
        ),
    },
    "advanced_manufacturing": {
        "offers": (
            "On-demand sheet-metal fabrication with instant online quotes",
            "Robotic welding cells for small-batch production",
            "Digital twins for injection-moulding process tuning",
        ),
        "problems": (
            "Getting a quote for custom metal parts still takes days of e-mails.",
            "Small fabricators cannot justify programming a robot for batches of fifty.",
        ),
        "tech": (
            "Our geometry engine prices a part from its CAD file in seconds.",
            "Offline programming from CAD plus seam tracking cuts set-up to under an hour.",
        ),
        "customers": (
            "We serve hardware startups and equipment makers in the region.",
            "Customers are job shops supplying the automotive and furniture industries.",
        ),
    },
    "internet": {
        "offers": (
            "Developer tools for testing WeChat mini-programs",
            "Marketplace connecting freelance engineers with manufacturers",
            "Bilingual recruiting platform for foreign talent in western China",
        ),
        "problems": (
            "Companies in Chongqing struggle to hire engineers with international experience.",
            "Manual testing of mini-programs across devices slows every release.",
        ),
        "tech": (
            "We match candidates on skills extracted from projects, not just job titles.",
            "Our cloud device farm runs tests on 300 real phones in parallel.",
        ),
        "customers": (
            "Customers are foreign-invested enterprises and high-tech zones.",
            "Paying users are software agencies and in-house mobile teams.",
        ),
    },
    "big_health": {
        "offers": (
            "Digital physiotherapy programmes for knee and back pain",
            "Healthy-ageing day clubs with cognitive training",
            "Plant-based meal plans for people with type 2 diabetes",
        ),
        "problems": (
            "Physiotherapists are scarce outside big hospitals, so patients stop exercising after discharge.",
            "Families want meaningful daytime activities for elderly parents with early memory loss.",
        ),
        "tech": (
            "Phone-camera pose estimation checks each exercise and adapts the programme.",
            "Programmes follow validated cognitive-stimulation protocols adapted for Chinese speakers.",
        ),
        "customers": (
            "We work with rehabilitation clinics and commercial insurers.",
            "Families pay a monthly fee; some districts subsidise places.",
        ),
    },
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
        "We have a working proof of concept and have interviewed {m} potential customers.",
        "We are filing {n} patent applications and looking for a first pilot partner.",
    ),
    "prototype": (
        "Prototype v{n} is in reliability testing at the makerspace's shared lab.",
        "{n} customers are trialling engineering samples.",
    ),
    "pilot": (
        "A pilot line is running and {n} customers have signed letters of intent.",
        "We are scaling up production; {n} customers have qualified our samples.",
    ),
    "market": (
        "Revenue last year was about CNY {m} million, with more than {n}0 paying customers.",
        "We are profitable and expanding beyond Chengdu and Chongqing.",
    ),
}
