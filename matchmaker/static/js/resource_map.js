// The navigation map of innovation resources (templates/map/index.html): district boundaries
// from the vendored GeoJSON, coloured by how many resources each district has, with facility
// markers where coordinates are known. Data come from the page's JSON endpoint (no inline
// script: see web/security.py). Clicking a district filters the list to it.
(function () {
  var box = document.getElementById('resource-map');
  if (!box || typeof echarts === 'undefined') { return; }
  var json = function (url) {
    return fetch(url, { credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) { throw new Error(url + ' ' + r.status); }
      return r.json();
    });
  };
  Promise.all([json(box.dataset.geojson), json(box.dataset.items)]).then(function (loaded) {
    var geo = loaded[0], data = loaded[1];
    echarts.registerMap('chongqing', geo);
    var names = data.labels.districts;
    var counts = data.counts;
    var max = 1;
    Object.keys(counts).forEach(function (k) { max = Math.max(max, counts[k]); });
    var regions = geo.features.map(function (f) {
      var name = f.properties.name;
      return { name: name, value: counts[name] || 0 };
    });
    var markers = data.items.filter(function (i) { return i.coordinates; }).map(function (i) {
      return { name: i.name, value: i.coordinates.concat([1]) };
    });
    var chart = echarts.init(box, null, { renderer: 'canvas' });
    chart.setOption({
      tooltip: {
        trigger: 'item',
        formatter: function (p) {
          if (p.seriesType === 'scatter') { return echarts.format.encodeHTML(p.name); }
          var label = names[p.name] || p.name;
          return echarts.format.encodeHTML(label) + ': ' + (p.value || 0) + ' ' +
            echarts.format.encodeHTML(data.labels.resources);
        }
      },
      visualMap: { min: 0, max: max, calculable: false, left: 'left', bottom: 10,
                   inRange: { color: ['#f1f5f9', '#0d6efd'] } },
      geo: { map: 'chongqing', roam: true, label: { show: false } },
      series: [
        { type: 'map', geoIndex: 0, name: 'resources', data: regions },
        { type: 'scatter', coordinateSystem: 'geo', data: markers, symbolSize: 9,
          itemStyle: { color: '#dc3545' } }
      ]
    });
    box.dataset.rendered = 'true';
    chart.on('click', function (p) {
      if (p.seriesType !== 'map' || !p.name) { return; }
      var url = new URL(window.location.href);
      url.searchParams.set(box.dataset.districtParam, p.name);
      window.location.assign(url.toString());
    });
    window.addEventListener('resize', function () { chart.resize(); });
  }).catch(function (err) {
    box.dataset.rendered = 'error';
    box.textContent = String(err);
  });
})();
